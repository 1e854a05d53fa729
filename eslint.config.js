// ESLint flat config: typescript-eslint recommended rules on sources, tests and scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ONLY_SPI = {
  regex: '^(\\.\\./)+src/(?!(gateway/)?index\\.js$)',
  message: 'gateways import src/ only via src/gateway/index.js or src/index.js (add an export there if you need more)',
};
const NO_OTHER_GATEWAY = { regex: '^\\.\\./(?!\\.\\./)[^/]+/', message: 'a gateway never imports another gateway' };
// LwM2M runs over CoAP and may use the CoAP gateway's explicit export file, nothing else of it.
const ONLY_COAP_EXPORT = {
  regex: '^\\.\\./(?!\\.\\./)(?!coap/index\\.js$)[^/]+/',
  message: 'a gateway never imports another gateway (LwM2M: only ../coap/index.js)',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.scratch/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // MQTT strings must be checked for U+0000, so control characters in regexes are intended
      'no-control-regex': 'off',
    },
  },
  {
    // the web dashboard: plain ES modules run by the browser as shipped (no bundler, no build step)
    files: ['src/http/dashboard/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'EventSource',
          'Event',
          'Node',
          'URLSearchParams',
          'confirm',
          'atob',
          'setTimeout',
          'setInterval',
          'clearInterval',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // Gateways see src/ only through the SPI barrel (or the package entry), and never another gateway's files
    // (DESIGN.md "Rules of the house"; docs/architecture.md). LwM2M may reuse CoAP through its explicit export
    // gateways/coap/index.ts (exception below).
    files: ['gateways/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ONLY_SPI] }],
      'no-duplicate-imports': 'error',
    },
  },
  {
    files: ['gateways/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ONLY_SPI, NO_OTHER_GATEWAY] }] },
  },
  {
    files: ['gateways/lwm2m/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ONLY_SPI, ONLY_COAP_EXPORT] }] },
  },
);
