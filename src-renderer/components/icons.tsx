/**
 * The few icons the dashboard uses: 16 px line icons, drawn in the text's colour.
 *
 * Decorative: each is hidden from screen readers, and the control or text beside it says
 * what it means.
 */
import type { ReactNode } from 'react'

function Svg({ children, size = 16 }: { children: ReactNode; size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  )
}

export function FileIcon() {
  return (
    <Svg>
      <path d="M4 1.75h5l3 3v9.5H4z" />
      <path d="M9 1.75v3h3" />
    </Svg>
  )
}

export function RecordIcon() {
  return (
    <Svg>
      <ellipse cx="8" cy="3.5" rx="5" ry="1.75" />
      <path d="M3 3.5v9c0 1 2.2 1.75 5 1.75s5-.75 5-1.75v-9" />
      <path d="M3 8c0 1 2.2 1.75 5 1.75S13 9 13 8" />
    </Svg>
  )
}

export function ArrowDownIcon() {
  return (
    <Svg>
      <path d="M8 2.5v11M3.5 9 8 13.5 12.5 9" />
    </Svg>
  )
}

export function ArrowUpIcon() {
  return (
    <Svg>
      <path d="M8 13.5v-11M3.5 7 8 2.5 12.5 7" />
    </Svg>
  )
}

export function SyncIcon() {
  return (
    <Svg>
      <path d="M13.25 6.5A5.5 5.5 0 0 0 3.2 5M2.75 9.5A5.5 5.5 0 0 0 12.8 11" />
      <path d="M3 2v3.25h3.25M13 14v-3.25H9.75" />
    </Svg>
  )
}

export function ConflictIcon() {
  return (
    <Svg>
      <path d="M8 1.75 14.5 13.5h-13z" />
      <path d="M8 6v3.5M8 11.5v.25" />
    </Svg>
  )
}

export function CheckIcon() {
  return (
    <Svg>
      <path d="m3 8.5 3 3 7-7" />
    </Svg>
  )
}

export function LockIcon() {
  return (
    <Svg>
      <rect x="3" y="7" width="10" height="7" rx="1.5" />
      <path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" />
    </Svg>
  )
}

export function SearchIcon() {
  return (
    <Svg>
      <circle cx="7" cy="7" r="4.5" />
      <path d="m10.5 10.5 3.5 3.5" />
    </Svg>
  )
}

export function FolderIcon() {
  return (
    <Svg>
      <path d="M1.75 3.5h4.5l1.5 1.5h6.5v8.25H1.75z" />
    </Svg>
  )
}

export function ServerIcon() {
  return (
    <Svg>
      <rect x="2" y="2.5" width="12" height="4.5" rx="1" />
      <rect x="2" y="9" width="12" height="4.5" rx="1" />
      <path d="M4.5 4.75h.01M4.5 11.25h.01" />
    </Svg>
  )
}

export function SunIcon() {
  return (
    <Svg>
      <circle cx="8" cy="8" r="3" />
      <path d="M8 1v1.5M8 13.5V15M1 8h1.5M13.5 8H15M3 3l1 1M12 12l1 1M3 13l1-1M12 4l1-1" />
    </Svg>
  )
}

export function MoonIcon() {
  return (
    <Svg>
      <path d="M13.5 9.5A5.75 5.75 0 0 1 6.5 2.5a5.75 5.75 0 1 0 7 7z" />
    </Svg>
  )
}

export function CloseIcon() {
  return (
    <Svg>
      <path d="m4 4 8 8M12 4l-8 8" />
    </Svg>
  )
}

export function PlusIcon() {
  return (
    <Svg>
      <path d="M8 3v10M3 8h10" />
    </Svg>
  )
}

export function ClockIcon() {
  return (
    <Svg>
      <circle cx="8" cy="8" r="6.25" />
      <path d="M8 4.5V8l2.5 1.5" />
    </Svg>
  )
}

export function GearIcon() {
  return (
    <Svg>
      <circle cx="8" cy="8" r="2.25" />
      <path d="M8 1.5v1.75M8 12.75v1.75M1.5 8h1.75M12.75 8h1.75M3.4 3.4l1.25 1.25M11.35 11.35l1.25 1.25M3.4 12.6l1.25-1.25M11.35 4.65l1.25-1.25" />
    </Svg>
  )
}

export function KeyIcon() {
  return (
    <Svg>
      <circle cx="5" cy="11" r="2.75" />
      <path d="m7 9 6.5-6.5M11 5l2 2M9.5 6.5l1.5 1.5" />
    </Svg>
  )
}
