import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { devUrlFrom, focusFragment, isRendererUrl, rendererLocation } from './renderer-location.js'

describe('the renderer location', () => {
  it('is dist-renderer/index.html under the app folder unless a dev server is allowed', () => {
    expect(rendererLocation({ appPath: '/opt/app', devUrl: null })).toEqual({ kind: 'file', indexPath: path.join('/opt/app', 'dist-renderer', 'index.html') })
    expect(rendererLocation({ appPath: '/opt/app', devUrl: 'http://localhost:5173/' })).toEqual({ kind: 'dev', url: 'http://localhost:5173/' })
  })

  it('allows a dev server only for an unpackaged app, only over http on loopback', () => {
    expect(devUrlFrom('http://localhost:5173', false)).toBe('http://localhost:5173/')
    expect(devUrlFrom('http://127.0.0.1:5173/some/path', false)).toBe('http://127.0.0.1:5173/')
    expect(devUrlFrom('http://[::1]:5173', false)).toBe('http://[::1]:5173/')
    expect(devUrlFrom('http://localhost:5173', true)).toBeNull()
    for (const bad of ['https://example.com', 'http://example.com:5173', 'http://user:pw@localhost:5173', 'file:///etc/passwd', 'javascript:alert(1)', 'nonsense', '', undefined]) {
      expect(devUrlFrom(bad, false), String(bad)).toBeNull()
    }
  })

  it('recognises the page with any fragment or query, and under percent-encoded paths', () => {
    const dir = path.resolve('/opt/Sync Désk/resources/app.asar')
    const location = rendererLocation({ appPath: dir, devUrl: null })
    const href = pathToFileURL(path.join(dir, 'dist-renderer', 'index.html')).href
    expect(isRendererUrl(href, location)).toBe(true)
    expect(isRendererUrl(href + '#' + focusFragment({ projectId: 'p1', env: 'staging' }), location)).toBe(true)
    expect(isRendererUrl(href.replace('%C3%A9', '%c3%a9'), location)).toBe(true)
    expect(isRendererUrl(href.replace('index.html', 'index.htm'), location)).toBe(false)
  })

  it('puts the environment to show in a fragment the renderer reads back', () => {
    const fragment = focusFragment({ projectId: 'proj/1&x=2', env: 'staging' })
    expect(Object.fromEntries(new URLSearchParams(fragment))).toEqual({ project: 'proj/1&x=2', env: 'staging' })
  })
})
