// typescript-eslint with type-aware rules over every workspace's TypeScript; plain JS examples
// and scripts get the recommended JavaScript rules.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.tap/**',
      '**/coverage/**',
      'artifacts/**',
      '**/public/vendor/**',
      // The standalone apps' sources: tsc checks them under strict inside the npm-installed apps
      // (packaging/test/apps.test.ts), against the packed packages, which nothing links here.
      'packaging/apps/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // tap tracks the promise every t.test() returns; awaiting each would serialize nothing more.
    files: ['**/test/**/*.ts'],
    // tap subtests are `async (t) => {}` by convention, awaiting or not.
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        document: 'readonly',
        window: 'readonly',
        localStorage: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        Response: 'readonly',
        Headers: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        Request: 'readonly',
        location: 'readonly',
        sessionStorage: 'readonly',
        setImmediate: 'readonly',
      },
    },
  },
)
