// Lint rules of the house: strict TypeScript, no floating promises anywhere, and the
// Temporal workflow sandbox rules (no Node built-ins, no wall clock or randomness) in workflows/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows run in the Temporal sandbox: no Node built-ins.' })),
        patterns: [{ group: ['../activities/*', '../activities'], importNamePattern: '^(?!type )', message: 'Workflows may only `import type` activities.', allowTypeImports: true }],
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use workflow time (Date is deterministic in the sandbox, but be explicit): import { sleep } / workflowInfo().' },
        { object: 'Math', property: 'random', message: 'Not deterministic: use uuid4() from @temporalio/workflow.' },
        { object: 'process', property: 'env', message: 'Workflows get configuration as input, never from the environment.' },
      ],
    },
  },
);
