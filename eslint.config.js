import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'static/vendor/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Browser scripts served to writers' pages: plain JS, browser globals.
    files: ['static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly', document: 'readonly', navigator: 'readonly', localStorage: 'readonly',
        fetch: 'readonly', location: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        console: 'readonly', FormData: 'readonly', URL: 'readonly', Blob: 'readonly', Quill: 'readonly',
        PasswordCredential: 'readonly', SimpleWebAuthnBrowser: 'readonly', history: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', Date: 'readonly', JSON: 'readonly',
        addEventListener: 'readonly', removeEventListener: 'readonly', AbortController: 'readonly',
        Intl: 'readonly', alert: 'readonly', confirm: 'readonly', HTMLElement: 'readonly',
      },
    },
  },
  {
    files: ['scripts/**/*.mjs', '.ci/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', setTimeout: 'readonly', URL: 'readonly', fetch: 'readonly',
        Buffer: 'readonly', clearTimeout: 'readonly', AbortSignal: 'readonly', performance: 'readonly',
        URLSearchParams: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', FormData: 'readonly',
        Blob: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
      },
    },
  },
);
