/**
 * One conflict looked at closely: for a file, this computer's version and the environment's
 * side by side with the changed lines marked (@codemirror/merge, read-only), or either of them
 * against the version at the last sync (what each side changed); for a record, its
 * fields (at the last sync, yours, the environment's), the differing ones marked with who
 * changed them, and what "Combine both" would keep when the sides changed different fields.
 *
 * Everything shown comes from the host (`item:detail`); the dashboard only lays it out.
 */
import { MergeView } from '@codemirror/merge'
import { EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { useEffect, useRef, useState } from 'react'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { ItemDetail, StatusRow } from '../../src-shared/views.js'
import { nextStep } from '../lib/error-words.js'
import { envTitle } from '../lib/words.js'
import { selectDetails, selectMergeEdits } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { RadioGroup } from './radio-group.js'

type FileDetail = Extract<ItemDetail, { kind: 'file' }>
type RecordDetail = Extract<ItemDetail, { kind: 'record' }>

/** Which two versions the diff puts side by side. */
type Comparison = 'sides' | 'mine' | 'theirs'

/** The side-by-side diff of a text file: mine | the environment's, or either against the version at the last sync. */
function FileDiff({ detail, env, label }: { detail: FileDetail; env: string; label: string }) {
  const parent = useRef<HTMLDivElement>(null)
  const [comparison, setComparison] = useState<Comparison>('sides')
  const where = envTitle(env)
  const name = displayName(detail.path)
  const shown = detail.base === null ? 'sides' : comparison
  const sides = {
    base: { doc: detail.base ?? '', label: `${name} as it was at the last sync`, head: 'At the last sync', testId: 'diff-head-base' },
    local: { doc: detail.local ?? '', label: `Your version of ${name}, on this computer`, head: `On this computer${detail.local === null ? ' · deleted here' : ''}`, testId: 'diff-head-local' },
    remote: { doc: detail.remote ?? '', label: `${where}'s version of ${name}`, head: `In ${where}${detail.remote === null ? ` · deleted in ${where}` : ''}`, testId: 'diff-head-remote' },
  }
  const [a, b] = shown === 'sides' ? [sides.local, sides.remote] : shown === 'mine' ? [sides.base, sides.local] : [sides.base, sides.remote]
  useEffect(() => {
    if (!parent.current) return
    const side = (label: string) => [
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      EditorView.lineWrapping,
      // Focusable, so the keyboard can scroll it, and named for screen readers.
      EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
    ]
    const view = new MergeView({
      a: { doc: a.doc, extensions: side(a.label) },
      b: { doc: b.doc, extensions: side(b.label) },
      parent: parent.current,
      highlightChanges: true,
      gutter: true,
      collapseUnchanged: { margin: 3, minSize: 8 },
    })
    return () => view.destroy()
  }, [a.doc, a.label, b.doc, b.label])

  return (
    <div className="diff" data-testid="file-diff">
      {detail.base !== null ? (
        <RadioGroup
          className="segmented segmented-small diff-compare"
          choiceClassName="segment"
          label={`Which versions of ${name} to compare`}
          choices={[
            { value: 'sides' as const, content: `Yours and ${where}'s` },
            { value: 'mine' as const, content: 'What you changed' },
            { value: 'theirs' as const, content: `What ${where} changed` },
          ]}
          value={shown}
          onChange={(c) => setComparison(c ?? 'sides')}
        />
      ) : (
        <p className="fields-note" data-testid="no-base">
          The version at the last sync isn't kept for this file (it is larger than the limit, or it has never been synced), so only the two versions can be compared.
        </p>
      )}
      <div className="diff-heads" aria-hidden="true">
        <span className="diff-head" data-testid={a.testId}>
          {a.head}
        </span>
        <span className="diff-head" data-testid={b.testId}>
          {b.head}
        </span>
      </div>
      <div ref={parent} className="diff-body" />
      {detail.merged !== null ? <CombinedFile label={label} merged={detail.merged} name={name} where={where} /> : null}
    </div>
  )
}

/**
 * The file Combine both writes, shown for approval; "Edit" opens it in an editor, and the
 * edited text is what the run writes to both sides (checked like any other file before a push).
 */
function CombinedFile({ label, merged, name, where }: { label: string; merged: string; name: string; where: string }) {
  const edited = useSyncStore(selectMergeEdits)[label]
  const [editing, setEditing] = useState(false)
  const parent = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!editing || !parent.current) return
    const view = new EditorView({
      parent: parent.current,
      doc: useSyncStore.getState().mergeEdits[label] ?? merged,
      extensions: [
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': `${name} combined, as you edit it` }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) actions().editMerge(label, u.state.doc.toString())
        }),
      ],
    })
    view.focus()
    return () => view.destroy()
  }, [editing, label, merged, name])

  return (
    <div className="diff-merged" data-testid="file-merged" data-edited={edited !== undefined ? 'true' : 'false'}>
      <div className="merge-head">
        <p className="merge-note">
          {edited !== undefined ? (
            <>
              <strong>Edited by you.</strong> Combine both writes this text, on this computer and in {where}:
            </>
          ) : (
            <>
              You and {where} changed different lines, so <strong>Combine both</strong> keeps each side's change. This is the file you get, on this computer and in {where}:
            </>
          )}
        </p>
        <div className="merge-actions">
          {editing ? (
            <button type="button" className="button button-quiet" onClick={() => setEditing(false)} data-testid="merge-edit-done">
              Done editing
            </button>
          ) : (
            <button type="button" className="button button-quiet" onClick={() => setEditing(true)} data-testid="merge-edit">
              Edit
            </button>
          )}
          {edited !== undefined ? (
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setEditing(false)
                actions().editMerge(label, null)
              }}
              data-testid="merge-edit-reset"
            >
              Use the proposed merge again
            </button>
          ) : null}
        </div>
      </div>
      {editing ? (
        <div ref={parent} className="merged-editor" data-testid="merge-editor" />
      ) : (
        <pre className="merged-text" tabIndex={0} aria-label={`${name} with both changes combined`}>
          {edited ?? merged}
        </pre>
      )}
    </div>
  )
}

/** A field's value as the table shows it. */
function Value({ v }: { v: unknown }) {
  if (v === null || v === undefined) return <span className="value-empty">empty</span>
  if (typeof v === 'string') return <>{displayText(v)}</>
  if (typeof v === 'boolean') return <>{v ? 'yes' : 'no'}</>
  if (typeof v === 'number' || typeof v === 'bigint') return <>{String(v)}</>
  return <code>{displayText(JSON.stringify(v))}</code>
}

function changedText(by: RecordDetail['fields'][number]['changedBy'], where: string): string {
  if (by === 'local') return 'changed here'
  if (by === 'remote') return `changed in ${where}`
  if (by === 'both') return 'changed on both sides'
  return ''
}

/** The field table of a record (field · at last sync · yours · the environment's). */
function RecordFields({ detail, env }: { detail: RecordDetail; env: string }) {
  const where = envTitle(env)
  const merged = detail.merged
  const differing = detail.fields.filter((f) => f.differs)
  return (
    <div className="fields" data-testid="record-fields">
      {detail.local === null ? <p className="fields-note">Deleted on this computer.</p> : null}
      {detail.remote === null ? <p className="fields-note">Deleted in {where}.</p> : null}
      <table className="field-table">
        <caption className="visually-hidden">
          Fields of {displayName(detail.table)} {displayName(detail.key)}: {differing.length} differ
        </caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">At last sync</th>
            <th scope="col">Yours</th>
            <th scope="col">{where}'s</th>
            {merged ? <th scope="col">If you combine both</th> : null}
          </tr>
        </thead>
        <tbody>
          {detail.fields.map((f) => (
            <tr key={f.name} className={f.differs ? 'field-differs' : undefined} data-testid="field-row" data-field={f.name} data-differs={f.differs ? 'true' : 'false'}>
              <th scope="row">
                <span className="field-name">{displayName(f.name)}</span>
                {f.differs ? (
                  <span className="field-changed" data-testid="field-changed">
                    {changedText(f.changedBy, where) || 'differs'}
                  </span>
                ) : null}
              </th>
              <td className="field-base">{detail.base ? <Value v={f.base} /> : <span className="value-empty">not known</span>}</td>
              <td className={f.changedBy === 'local' || f.changedBy === 'both' ? 'field-mine field-new' : 'field-mine'}>{detail.local ? <Value v={f.local} /> : <span className="value-empty">deleted</span>}</td>
              <td className={f.changedBy === 'remote' || f.changedBy === 'both' ? 'field-theirs field-new' : 'field-theirs'}>{detail.remote ? <Value v={f.remote} /> : <span className="value-empty">deleted</span>}</td>
              {merged ? (
                <td className="field-merged" data-testid="field-merged">
                  <Value v={merged[f.name]} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {merged ? (
        <p className="fields-note" data-testid="merge-note">
          You and {where} changed different fields, so <strong>Combine both</strong> keeps each side's change: the last column is the record you get.
        </p>
      ) : differing.some((f) => f.changedBy === 'both') ? (
        <p className="fields-note">You and {where} both changed the same field, so they can't be combined: keep one version.</p>
      ) : null}
    </div>
  )
}

/** A conflict's details, loaded when first shown. */
export function ConflictDetail({ row, env, id }: { row: StatusRow; env: string; id: string }) {
  const state = useSyncStore(selectDetails)[row.label]
  useEffect(() => {
    void actions().loadDetail(row)
  }, [row])
  const where = envTitle(env)
  let body
  if (!state || state.loading) {
    body = (
      <div aria-busy="true">
        <span className="skeleton skeleton-line" />
        <span className="skeleton skeleton-line skeleton-short" />
      </div>
    )
  } else if (state.error) {
    body = (
      <p className="fields-note" role="alert">
        {displayText(state.error.message)} {nextStep(state.error) ? displayText(nextStep(state.error) ?? '') : ''}
      </p>
    )
  } else if (state.detail?.kind === 'file' && state.detail.binary) {
    body = (
      <p className="fields-note" data-testid="binary-note">
        This file is not text (a picture, an archive or similar), so its versions can't be shown side by side. Open it on this computer and in {where} to compare, then keep the one you want.
      </p>
    )
  } else if (state.detail?.kind === 'file') body = <FileDiff detail={state.detail} env={env} label={row.label} />
  else if (state.detail?.kind === 'record') body = <RecordFields detail={state.detail} env={env} />
  return (
    <div className="conflict-detail" id={id} data-testid="conflict-detail">
      {body}
    </div>
  )
}
