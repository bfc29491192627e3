/**
 * The current time, ticking: for "checked 20 s ago" without a re-render of everything.
 */
import { useEffect, useState } from 'react'

/** `Date.now()`, updated every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(t)
  }, [everyMs])
  return now
}
