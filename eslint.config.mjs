// Layering (STYLE.md): each folder may import only what its row allows. Do not relax these rules.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'stream', 'url', 'util', 'worker_threads', 'readline', 'events', 'zlib', 'tty', 'dns']

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-renderer/', 'release/', 'bench/.work/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // A spread argument puts every item on the stack: past ~100k items it overflows (issue 7).
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.property.name=/^(push|unshift|splice|concat)$/] > SpreadElement", message: 'A spread argument overflows the stack on large lists: use appendAll (src-main/engine/arrays.ts) or a loop.' },
        { selector: "CallExpression[callee.object.name='Math'] > SpreadElement", message: 'Math.max/min(...list) overflows the stack on large lists: use a loop.' },
        { selector: "CallExpression[callee.property.name='fromCharCode'] > SpreadElement", message: 'String.fromCharCode(...list) overflows the stack on large lists: decode in chunks.' },
      ],
    },
  },
  {
    // The bin/ launchers are CommonJS on purpose (they start fast and load the built bundle).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'src-shared is pure: no Node built-ins.' },
          { group: ['electron', 'electron/*'], message: 'src-shared never imports electron.' },
          { group: ['**/src-main/**', '**/src-server/**', '**/src-renderer/**', 'react', 'react-dom'], message: 'src-shared imports only itself and pure packages.' },
        ],
      }],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'Only src-main/electron/ imports electron.' },
          { group: ['**/src-renderer/**', '**/electron/*'], message: 'src-main never reaches into the renderer or the electron layer.' },
        ],
      }],
    },
  },
  {
    files: ['src-server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'The environment server never imports electron.' },
          { group: ['**/src-renderer/**', '**/src-main/host/**', '**/src-main/electron/**', '**/src-main/web/**', '**/src-main/cli/**', '**/src-main/secrets/**', '**/src-main/remotes/**'], message: 'src-server may import src-shared and src-main/engine only.' },
        ],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'The renderer has no Node: talk to window.syncDesk.' },
          { group: ['electron', 'electron/*'], message: 'The renderer never imports electron.' },
          { group: ['**/src-main/**', '**/src-server/**'], message: 'The renderer imports only itself and src-shared.' },
        ],
      }],
    },
  },
)
