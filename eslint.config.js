// Lint rules of the house: strict TypeScript, no floating promises anywhere, the Temporal
// workflow sandbox rules (no Node built-ins, no wall clock or randomness) in workflows/, and the
// layering of the rooms (README, "Architecture"): no import cycle, and no import that runs back up.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// The rooms of the core, lowest first. A room may import the rooms below it, never one above.
// workflows/ is the exception: the Temporal sandbox bundles every value it imports, so it takes
// only types from below (checked by no-restricted-imports further down), and nothing from clients/.
// simulators/, scripts/ and test/ (and every *.test.ts) may import anything; the core imports none of them.
const layers = ['lib', 'gitops', 'clients', 'activities', 'workflows', ['api', 'worker.ts']];
const outsideCore = ['simulators', 'scripts', 'test'];
const above = (index) => layers.slice(index + 1).flat();
const layerZones = [
  ...layers.slice(0, 3).map((room, index) => ({
    target: room,
    from: [...above(index), ...outsideCore],
    message: `${room}/ may not import a room above it (lowest first: lib, gitops, clients, activities, workflows, api and worker.ts).`,
  })),
  // activities/ may `import type` from workflows/ (the no-restricted-imports rule below); values, no.
  { target: 'activities', from: ['api', 'worker.ts', ...outsideCore], message: 'activities/ may not import api/, worker.ts, simulators/, scripts/ or test/.' },
  {
    target: 'workflows',
    from: ['clients', 'api', 'worker.ts', ...outsideCore],
    message: 'Workflows run in the Temporal sandbox: no clients, no api/, no entry points.',
  },
  { target: 'api', from: ['worker.ts', ...outsideCore], message: 'api/ may not import worker.ts, simulators/, scripts/ or test/.' },
  { target: 'worker.ts', from: ['api', ...outsideCore], message: 'worker.ts may not import api/, simulators/, scripts/ or test/.' },
];
/** A relative specifier that reaches one of the top-level folders `rooms` (from any depth). */
const reaching = (...rooms) => `^(\\.\\./)+(${rooms.join('|')})(/|$)`;
// The lib/ modules workflows may import values from: pure and small, and checked to stay so (no
// Node built-ins, nothing but types from other modules), since the sandbox bundles what they import.
const sandboxSafeLib = ['workflow-ids'];
const reachingLibExceptSandboxSafe = `^(\\.\\./)+lib(/(?!(${sandboxSafeLib.join('|')})\\.js$)|$)`;

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'dist/**', 'generated/**', 'api/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      // Input rules match control characters on purpose (to reject them).
      'no-control-regex': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Tests read loosely typed JSON from HTTP answers on purpose.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      // Specifiers are written `./x.js` (NodeNext); the TypeScript resolver finds `./x.ts`.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` })],
      // Without these, import-x skips .ts files when it follows imports (no-cycle would see nothing).
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['lib/**/*.ts', 'gitops/**/*.ts', 'clients/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts', 'api/**/*.ts', 'worker.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
    },
  },
  {
    files: ['activities/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: reaching('workflows'), allowTypeImports: true, message: 'activities/ may only `import type` from workflows/.' }],
        },
      ],
    },
  },
  {
    // What workflows import from lib/ stays sandbox-safe.
    files: sandboxSafeLib.map((name) => `lib/${name}.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows import this module: no Node built-ins.' })),
          patterns: [{ regex: '^\\.', allowTypeImports: true, message: 'Workflows import this module: it may import types only.' }],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests of workflows run in Node, not in the sandbox.
    files: ['workflows/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows run in the Temporal sandbox: no Node built-ins.' })),
          // lib/workflow-ids.ts is pure and small: the one value module workflows share with the rest.
          patterns: [
            {
              regex: reaching('activities', 'gitops'),
              allowTypeImports: true,
              message: 'Workflows may only `import type` from activities/ and gitops/: the sandbox bundles every value import.',
            },
            {
              regex: reachingLibExceptSandboxSafe,
              allowTypeImports: true,
              message: `Workflows may import values only from the sandbox-safe lib/ modules (${sandboxSafeLib.join(', ')}: eslint.config.js), types from any.`,
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'Use workflow time (Date is deterministic in the sandbox, but be explicit): import { sleep } / workflowInfo().',
        },
        { object: 'Math', property: 'random', message: 'Not deterministic: use uuid4() from @temporalio/workflow.' },
        { object: 'process', property: 'env', message: 'Workflows get configuration as input, never from the environment.' },
      ],
    },
  },
);
