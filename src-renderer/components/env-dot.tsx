/**
 * An environment's colour as a small dot (never a large fill: UI.md).
 */
export function EnvDot({ color }: { color: string | null }) {
  return <span className={color ? 'env-dot' : 'env-dot env-dot-none'} style={color ? { background: color } : undefined} aria-hidden="true" />
}
