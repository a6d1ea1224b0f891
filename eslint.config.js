import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const envOnlyInConfig = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Read the environment only in src/config.ts.',
};
const sqlOnlyInQueries = {
  selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='query']",
  message: "SQL belongs in the area's queries.ts (or the db layer); call a function from there.",
};

// Each area (src/<area>/) reads its own tables; other areas are asked through their services.
const areaBoundaries = {
  rules: {
    'no-foreign-queries': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const file = path.relative(process.cwd(), context.filename);
        const area = file.split(path.sep)[1];
        return {
          ImportDeclaration(node) {
            const source = String(node.source.value);
            if (!source.startsWith('.')) return;
            const target = path.normalize(path.join(path.dirname(file), source));
            const parts = target.split(path.sep);
            if (parts[0] === 'src' && /queries\.ts$/.test(parts.at(-1)) && parts[1] !== area && parts[1] !== 'db') {
              context.report({ node, message: `Import ${parts[1]}'s service, not its queries: areas read only their own tables.` });
            }
          },
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', envOnlyInConfig],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/queries.ts', 'src/db/**'],
    rules: { 'no-restricted-syntax': ['error', envOnlyInConfig, sqlOnlyInQueries] },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { signpost: areaBoundaries },
    rules: { 'signpost/no-foreign-queries': 'error' },
  },
  {
    // Scripts the pages load run in the browser.
    files: ['src/web/static/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', HTMLScriptElement: 'readonly' } },
  },
  {
    files: ['src/config.ts', 'test/**', 'scripts/**', 'bench/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
