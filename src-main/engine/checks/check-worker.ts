/**
 * A check worker (see check-pool.ts): checks the contents of each job it is sent with the same
 * code as the calling thread (check-content.ts), and answers with what it found. Built as its
 * own bundle, dist/check-worker.cjs.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { describeError } from '../errors.js'
import { checkContent, type ContentResult } from './check-content.js'
import type { CheckJob, CheckJobAnswer, CheckWorkerInit } from './check-pool.js'

const init = (workerData as { checkWorker?: CheckWorkerInit } | undefined)?.checkWorker

if (!isMainThread && parentPort && init) {
  const port = parentPort
  const secretRulesOff = new Set(init.secretRulesOff)
  port.on('message', (job: CheckJob) => {
    void (async () => {
      let answer: CheckJobAnswer
      try {
        const results: ContentResult[] = []
        for (const item of job.items) {
          const content = Buffer.from(job.buffer, item.start, item.end - item.start)
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
