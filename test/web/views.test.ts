import assert from 'node:assert/strict';
import { test } from 'node:test';
import nunjucks from 'nunjucks';
import { setFrameVariablesWithoutSplitting } from '../../src/web/views.ts';

// Loop variables, macro arguments, `set` at the top, inside a loop (reaching the outer variable),
// inside a macro, an `if` and a block `set`: what Nunjucks' own Frame.set gave for this template.
const TEMPLATE = `{% set greeting = "hello" %}{% set counter = 0 %}
{%- macro item(name, n) %}<{{ name }}:{{ n }}{% set inMacro = n %}>{% endmacro -%}
{% for x in ["a", "b", "c"] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ "F" if loop.first }}{{ "L" if loop.last }}{{ loop.length }}{{ item(x, loop.index) }}{% set inner = x %}{% set counter = counter + loop.index %}{% endfor %}
[{{ inner }}][{{ inMacro }}][{{ counter }}]{{ greeting }}
{% for k, v in {one: 1, two: 2} %}{{ k }}={{ v }}{{ loop.index }};{% endfor %}
{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% else %}none{% endfor %}{% for z in [] %}{{ z }}{% else %}none{% endfor %}
{% set greeting %}block {{ greeting }}{% endset %}{{ greeting }}
{% if true %}{% set scoped = "in if" %}{% endif %}{{ scoped }}`;
const RENDERED = '1032F3<a:1>21213<b:2>3210L3<c:3>\n[][][6]hello\none=11;two=22;\n37none\nblock hello\nin if';

test('templates set loop variables, macro arguments and set variables where Nunjucks always has', () => {
  setFrameVariablesWithoutSplitting();
  const environment = new nunjucks.Environment();
  assert.equal(environment.renderString(TEMPLATE, {}), RENDERED);
  // A second render reuses the kept splits of the dotted names.
  assert.equal(environment.renderString(TEMPLATE, {}), RENDERED);
});
