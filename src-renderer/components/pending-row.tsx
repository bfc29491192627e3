/**
 * One row of the pending list: file or record, the path (folder dimmed, name bold) or
 * `table › key`, what happened on each side in the host's words, and when.
 */
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { StatusRow } from '../../src-shared/views.js'
import { clock, splitPath } from '../lib/words.js'
import { FileIcon, RecordIcon } from './icons.js'

function when(row: StatusRow): number | null {
  if (row.category === 'remote_to_local') return row.remoteMtimeMs
  if (row.category === 'local_to_remote') return row.localMtimeMs
  const l = row.localMtimeMs ?? 0
  const r = row.remoteMtimeMs ?? 0
  return l || r ? Math.max(l, r) : null
}

/** An item's name as the list shows it. */
export function ItemName({ row }: { row: Pick<StatusRow, 'kind' | 'label' | 'table' | 'key'> }) {
  if (row.kind === 'record' && row.table !== undefined && row.key !== undefined) {
    return (
      <span className="item-name" title={displayName(row.label)}>
        <span className="item-folder">{displayName(row.table)} › </span>
        <span className="item-base">{displayName(row.key)}</span>
      </span>
    )
  }
  const shown = displayName(row.label)
  const { folder, name } = splitPath(shown)
  return (
    <span className="item-name" title={shown}>
      {folder ? <span className="item-folder">{folder}</span> : null}
      <span className="item-base">{name}</span>
    </span>
  )
}

export function PendingRow({ row, id, active }: { row: StatusRow; id: string; active: boolean }) {
  const at = when(row)
  const fields = row.fields?.length ? ` · fields: ${row.fields.map(displayName).join(', ')}` : ''
  return (
    <div className={`row row-${row.category}`} role="option" id={id} aria-selected={active} data-testid="pending-row" data-label={displayName(row.label)}>
      <span className="row-icon" title={row.kind === 'file' ? 'File' : 'Record'}>
        {row.kind === 'file' ? <FileIcon /> : <RecordIcon />}
        <span className="visually-hidden">{row.kind === 'file' ? 'File' : 'Record'}</span>
      </span>
      <span className="row-main">
        <ItemName row={row} />
        <span className="row-desc">
          {displayText(row.description)}
          {fields}
        </span>
      </span>
      <span className="row-time">{at ? clock(at) : ''}</span>
    </div>
  )
}

/** A row whose page is on its way. */
export function LoadingRow() {
  return (
    <div className="row row-loading" aria-hidden="true" data-testid="pending-row-loading">
      <span className="skeleton skeleton-icon" />
      <span className="row-main">
        <span className="skeleton skeleton-line" />
        <span className="skeleton skeleton-line skeleton-short" />
      </span>
    </div>
  )
}
