/**
 * The first screen: open a project folder, or try the demo.
 *
 * A browser cannot show a folder picker that gives a path, so the folder is typed (or
 * pasted); the host finds the project from a subfolder too, as every command does.
 */
import { useId, useState, type FormEvent } from 'react'
import { selectOpening, selectProjects } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { FolderIcon, SyncIcon } from './icons.js'

export function WelcomeScreen() {
  const opening = useSyncStore(selectOpening)
  const hasProjects = useSyncStore(selectProjects).length > 0
  const [dir, setDir] = useState('')
  const fieldId = useId()
  const helpId = useId()

  const open = (e: FormEvent) => {
    e.preventDefault()
    if (dir.trim()) void actions().openProject(dir.trim())
  }

  return (
    <section className="welcome" aria-labelledby="welcome-title" data-testid="welcome">
      <div className="welcome-card">
        <div className="welcome-mark" aria-hidden="true">
          <SyncIcon />
        </div>
        <h1 id="welcome-title">{hasProjects ? 'Open another project' : 'Welcome to SyncDesk'}</h1>
        <p className="welcome-lead">Keep your project on this computer and its environments in step: see what changed where, and push or pull with a preview before anything moves.</p>

        <div className="welcome-options">
          <form className="welcome-option" onSubmit={open}>
            <h2>
              <FolderIcon /> Open a project folder
            </h2>
            <label htmlFor={fieldId} className="field-label">
              Project folder
            </label>
            <input id={fieldId} className="text-input" type="text" value={dir} placeholder="/home/you/projects/shop" autoComplete="off" spellCheck={false} aria-describedby={helpId} onChange={(e) => setDir(e.target.value)} />
            <p id={helpId} className="field-help">
              The folder where your project lives. A folder inside it works too.
            </p>
            <button type="submit" className="button" disabled={!dir.trim() || opening !== null}>
              {opening === 'folder' ? 'Opening…' : 'Open project'}
            </button>
          </form>

          <div className="welcome-option welcome-demo">
            <h2>
              <SyncIcon /> New here?
            </h2>
            <p>The demo is a small project with agents, skills, content and a pipeline, and an environment called Staging that already differs a little: files and database records to pull and to push, and a few conflicts to settle.</p>
            <button type="button" className="button button-primary" disabled={opening !== null} onClick={() => void actions().createDemo()}>
              {opening === 'demo' ? 'Making the demo…' : 'Try the demo'}
            </button>
          </div>
        </div>
        {hasProjects ? (
          <button type="button" className="link-button" onClick={() => actions().showDashboard()}>
            Back to the dashboard
          </button>
        ) : null}
      </div>
    </section>
  )
}
