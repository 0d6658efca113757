// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'out/**', 'bin/**', 'eslint.config.js', '.mocharc.cjs'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Hot paths index Float32Arrays in loops whose bounds are fixed at construction; with
      // noUncheckedIndexedAccess on, `a[i]!` is the honest, zero-cost way to say so.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // ONNX Runtime only through ortRuntime.ts, which turns its telemetry off first
    files: ['src/**/*.ts'],
    ignores: ['src/dynamics/onnx/ortRuntime.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'onnxruntime-node',
              message: 'import ONNX Runtime from src/dynamics/onnx/ortRuntime.ts (telemetry off)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // sinon fakes and node:assert idioms need this relaxed in tests only
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
