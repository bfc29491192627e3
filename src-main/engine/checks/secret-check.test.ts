import { describe, expect, it } from 'vitest'
import { checkSecrets, fullRuleId, kindOfSecret, secretRuleIds } from './secret-check.js'

// Made-up secrets of the right shapes (none is real).
const AWS_SECRET = 'Hr7zS9kPq2mT4vXw8yB1nC6dF3gJ5hL0aE2rU7iO'
const GITHUB = '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'
const SLACK = 'xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn'

describe('secrets', () => {
  it('finds an AWS secret key and a GitHub token by line and column, without the secret', async () => {
    const text = `name: skill\naws_secret_access_key = ${AWS_SECRET}\nauth:\n  token: ${GITHUB}\n`
    const problems = await checkSecrets(text, 'skills/s.yml')
    expect(problems.map((p) => `${p.line}:${p.column} ${p.rule} ${p.message}`)).toEqual([
      '2:1 @secretlint/secretlint-rule-aws Looks like a secret: AWS Secret Access Key (not shown here).',
      '4:10 @secretlint/secretlint-rule-github Looks like a secret: GitHub Token (not shown here).',
    ])
    expect(JSON.stringify(problems)).not.toContain(AWS_SECRET.slice(0, 8))
    expect(JSON.stringify(problems)).not.toContain(GITHUB.slice(4, 12))
  })

  it('finds connection strings with passwords and Slack tokens', async () => {
    const problems = await checkSecrets(`db: postgres://app:hunter2hunter2@db.example.com:5432/app\nslack: ${SLACK}\n`, 'config.yaml')
    expect(problems.map((p) => p.rule)).toEqual(['@secretlint/secretlint-rule-database-connection-string', '@secretlint/secretlint-rule-slack'])
    expect(JSON.stringify(problems)).not.toContain('hunter2')
  })

  it('finds nothing in ordinary text, nor on a line marked secretlint-disable-line', async () => {
    expect(await checkSecrets('name: agent\nmodel: gpt-4\nprompt: Summarize the order history.\n', 'a.yml')).toEqual([])
    expect(await checkSecrets(`token: ${GITHUB} # secretlint-disable-line\n`, 'a.yml')).toEqual([])
  })

  it('leaves out the rules turned off', async () => {
    const text = `aws_secret_access_key = ${AWS_SECRET}\ntoken: ${GITHUB}\n`
    const problems = await checkSecrets(text, 'a.yml', new Set([fullRuleId('github')]))
    expect(problems.map((p) => p.rule)).toEqual(['@secretlint/secretlint-rule-aws'])
  })

  it('knows the recommended rules by full id, from their short names too', async () => {
    const ids = await secretRuleIds()
    expect(ids).toContain('@secretlint/secretlint-rule-aws')
    expect(ids).toContain('@secretlint/secretlint-rule-privatekey')
    expect(fullRuleId('aws')).toBe('@secretlint/secretlint-rule-aws')
    expect(fullRuleId('secretlint-rule-aws')).toBe('@secretlint/secretlint-rule-aws')
    expect(fullRuleId('@secretlint/secretlint-rule-aws')).toBe('@secretlint/secretlint-rule-aws')
  })

  it('keeps only the words naming the kind of secret, never a part of it', () => {
    expect(kindOfSecret('found GitHub Token(*****): ******', 'ghp_x')).toBe('GitHub Token')
    expect(kindOfSecret('found AWS Secret Access Key: ****', 'abc')).toBe('AWS Secret Access Key')
    expect(kindOfSecret('found token abcdefgh12345678', 'abcdefgh12345678')).toBe('a key or token')
    expect(kindOfSecret('found token for xyzabcdefgh', 'qqqabcdefghqqq')).toBe('a key or token')
    expect(kindOfSecret('found ****', 'x')).toBe('a key or token')
  })

  it('checks many files without slowing down as it goes (the profiler is off)', async () => {
    const text = 'key: value with some words\n'.repeat(40)
    const time = async (n: number) => {
      const t = performance.now()
      for (let i = 0; i < n; i++) await checkSecrets(text, `f${i}.yml`, new Set(), { prefilter: false })
      return performance.now() - t
    }
    await time(200)
    const first = await time(1000)
    const later = await time(1000)
    expect(later).toBeLessThan(first * 2 + 50)
  })
})
