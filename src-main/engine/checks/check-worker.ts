/**
 * A check worker (see check-pool.ts): checks the contents of each job it is sent with the same
 * code as the calling thread (check-content.ts), and answers with what it found. Built as its
 * own bundle, dist/check-worker.cjs.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { DirStore } from '../dir-store.js'
import { describeError } from '../errors.js'
import { checkContent, type ContentResult } from './check-content.js'
import type { CheckJob, CheckJobAnswer, CheckWorkerInit } from './check-pool.js'

const init = (workerData as { checkWorker?: CheckWorkerInit } | undefined)?.checkWorker

if (!isMainThread && parentPort && init) {
  const port = parentPort
  const secretRulesOff = new Set(init.secretRulesOff)
  // The same reader as the calling thread's (no link followed, regular files only).
  const store = init.readRoot ? new DirStore(init.readRoot) : null
  port.on('message', (job: CheckJob) => {
    void (async () => {
      let answer: CheckJobAnswer
      try {
        const results: ContentResult[] = []
        for (const item of job.items) {
          let content: Buffer
          if (item.read && store) {
            try {
              content = await store.read(item.path)
            } catch (err) {
              results.push({ hash: '', unchecked: `could not be read (${describeError(err)})` })
              continue
            }
          } else content = Buffer.from(job.buffer, item.start, item.end - item.start)
          results.push(await checkContent(item.path, item.kinds, content, item.knownHash, { secretRulesOff, fastPaths: init.fastPaths }))
        }
        answer = { id: job.id, ok: true, results }
      } catch (err) {
        answer = { id: job.id, ok: false, error: describeError(err) }
      }
      port.postMessage(answer)
    })()
  })
}
