/**
 * The dashboard's entry: the styles, the React root, and the store's start.
 */
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app.js'
import { fragmentTarget } from './store/projects-slice.js'
import { actions } from './store/sync-store.js'
import './styles/base.css'
import './styles/layout.css'
import './styles/parts.css'
import './styles/screens.css'

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
)

void actions().boot()

// Electron focuses an open window on an environment by changing only the fragment.
window.addEventListener('hashchange', () => {
  const target = fragmentTarget()
  if (target) actions().select(target)
})
