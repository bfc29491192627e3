// Layering (STYLE.md): each folder may import only what its row allows. Do not relax these rules.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

import { builtinModules } from 'node:module'
import path from 'node:path'

/**
 * What each folder may import, as VS Code's `code-import-patterns` does it: an allowlist per
 * folder. `folders`: the project folders it may import from; `node`: Node built-ins;
 * `packages`: npm packages (true: any; a list: only those). Only src-main/electron/ imports
 * electron. The first row whose folder holds the file applies.
 */
const LAYERS = [
  { folder: 'src-shared/', folders: ['src-shared/'], node: false, packages: ['zod', 'zod/mini'] },
  { folder: 'src-main/engine/', folders: ['src-main/engine/', 'src-shared/'], node: true, packages: true },
  { folder: 'src-main/remotes/', folders: ['src-main/remotes/', 'src-main/engine/', 'src-shared/'], node: true, packages: true },
  { folder: 'src-main/secrets/', folders: ['src-main/secrets/', 'src-main/engine/', 'src-shared/'], node: true, packages: true },
  { folder: 'src-main/host/', folders: ['src-main/host/', 'src-main/engine/', 'src-main/remotes/', 'src-main/secrets/', 'src-shared/'], node: true, packages: true },
  // The CLI starts the web face (`syncdesk serve`), so it may import src-main/web/ too.
  { folder: 'src-main/cli/', folders: ['src-main/cli/', 'src-main/host/', 'src-main/web/', 'src-shared/'], node: true, packages: true },
  { folder: 'src-main/web/', folders: ['src-main/web/', 'src-main/host/', 'src-shared/'], node: true, packages: true },
  { folder: 'src-main/electron/', folders: ['src-main/electron/', 'src-main/host/', 'src-shared/'], node: true, packages: true, electron: true },
  { folder: 'src-server/', folders: ['src-server/', 'src-main/engine/', 'src-shared/'], node: true, packages: true },
  { folder: 'src-renderer/', folders: ['src-renderer/', 'src-shared/'], node: false, packages: true },
]

const ROOT = path.dirname(new URL(import.meta.url).pathname)
const BUILTINS = new Set(builtinModules)

/** The layers rule: every import, export-from and dynamic import of a file checked against its row. */
const layersRule = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/')
    const layer = LAYERS.find((l) => file.startsWith(l.folder))
    if (!layer) return {}
    const check = (node, source) => {
      if (typeof source !== 'string') return
      const report = (why) => context.report({ node, message: `${layer.folder} may not import ${source}: ${why} (STYLE.md layers; do not relax this rule).` })
      if (source.startsWith('.')) {
        const target = path.relative(ROOT, path.resolve(path.dirname(context.filename), source)).split(path.sep).join('/')
        if (!layer.folders.some((f) => target.startsWith(f))) report(`it may import only ${layer.folders.join(', ')}`)
        return
      }
      const name = source.startsWith('node:') ? source.slice(5) : source
      if (source.startsWith('node:') || BUILTINS.has(name.split('/')[0])) {
        if (!layer.node) report('this folder has no Node')
        return
      }
      if (source === 'electron' || source.startsWith('electron/')) {
        if (!layer.electron) report('only src-main/electron/ imports electron')
        return
      }
      if (layer.packages !== true && !layer.packages.includes(source)) report(`it may import only the packages ${layer.packages.join(', ')}`)
    }
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
    }
  },
}

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
    // Each folder imports only what its row of LAYERS names (STYLE.md); anything else fails.
    files: ['src-*/**/*.ts', 'src-*/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    plugins: { local: { rules: { layers: layersRule } } },
    rules: { 'local/layers': 'error' },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },
)
