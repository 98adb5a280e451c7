import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'var/**', 'dist/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // one TypeScript program for the whole tree (tsconfig.json), as `npm run typecheck` sees it
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test collects describe/it/test itself and reports what they reject with
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      // a default clause is this code's deliberate catch-all; switches without one must be complete
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // Off, as noise here: `async` methods without an await implement async interfaces (stores,
      // hooks, auth providers) and turn a synchronous throw into the rejection callers expect.
      '@typescript-eslint/require-await': 'off',
      // Off, as noise here: methods are taken off objects either to be called with .call() (the
      // declaration machinery, the ZooKeeper transport's hooks) or because they never use `this`.
      '@typescript-eslint/unbound-method': 'off',
      // Off, as noise here: String(x) of an unknown value is how values from JSON bodies, CQL rows
      // and log records become text, after the checks that matter.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Response bodies in tests are `Json` (any) on purpose: tests index into them and compare them
    // with deepEqual, so the any-safety rules would only flag every assertion on a body.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
