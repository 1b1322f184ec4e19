// A form for config.common generated from the algorithm's JSON Schema (ShowServiceDetail's
// config_schema): integers and numbers with their ranges, enumerations as selects, 0/1
// switches and booleans as check boxes, strings as text; defaults and help from the schema.
import { html } from '../lib.js';
import { Field } from '../components.js';
import { language, t } from '../i18n.js';

// Keys drawn elsewhere in the wizard (the ROI step).
const HANDLED_ELSEWHERE = new Set(['target_roi']);

function resolveRef(schema, property) {
  const ref = property.$ref ?? property.allOf?.[0]?.$ref;
  if (!ref) return property;
  const name = ref.split('/').pop();
  return { ...(schema.$defs?.[name] ?? schema.definitions?.[name] ?? {}), ...property };
}

function kindOf(property) {
  if (Array.isArray(property.enum)) return 'enum';
  if (property.type === 'boolean') return 'boolean';
  if (property.type === 'integer' && property.minimum === 0 && property.maximum === 1) return 'switch';
  if (property.type === 'integer' || property.type === 'number') return 'number';
  if (property.type === 'string') return 'string';
  return null;
}

// The form's fields: [{ key, kind, property }] in the schema's order.
export function configFields(schema) {
  if (!schema?.properties) return [];
  return Object.entries(schema.properties)
    .filter(([key]) => !HANDLED_ELSEWHERE.has(key))
    .map(([key, raw]) => {
      const property = resolveRef(schema, raw);
      return { key, kind: kindOf(property), property };
    })
    .filter((field) => field.kind);
}

// The schema's defaults, overlaid with the values already set (kept as they are).
export function configDefaults(schema, current = {}) {
  const values = {};
  for (const { key, property } of configFields(schema)) {
    if (property.default !== undefined) values[key] = property.default;
  }
  return { ...values, ...current };
}

// Problems the form can see before the API does: { key: message }.
export function configProblems(schema, values) {
  const problems = {};
  for (const { key, kind, property } of configFields(schema)) {
    const value = values[key];
    if (kind !== 'number' || value === undefined) continue;
    if (value === '' || Number.isNaN(value) || (property.type === 'integer' && !Number.isInteger(value))) {
      problems[key] = t('config.notNumber');
    } else if ((property.minimum !== undefined && value < property.minimum) || (property.maximum !== undefined && value > property.maximum)) {
      problems[key] = t('config.outOfRange', { min: property.minimum, max: property.maximum });
    }
  }
  return problems;
}

function titleOf(key, property) {
  if (language.startsWith('zh') && property['x-title-zh']) return property['x-title-zh'];
  return property.title ?? key;
}

// props: schema, values, onChange(values), errors ({ key: message }: the form's own and
// the API's, shown under their fields).
export default function ConfigForm({ schema, values, onChange, errors = {} }) {
  const fields = configFields(schema);
  if (!fields.length) return html`<p class="field-hint">${t('config.none')}</p>`;
  const set = (key, value) => onChange({ ...values, [key]: value });
  return html`
    <div class="config-form">
      ${fields.map(({ key, kind, property }) => {
        const title = titleOf(key, property);
        const value = values[key];
        const range = property.minimum !== undefined && property.maximum !== undefined ? t('config.range', { min: property.minimum, max: property.maximum }) : '';
        const fallback = property.default !== undefined ? t('config.default', { value: String(property.default) }) : '';
        const hint = [property.description, range, fallback].filter(Boolean).join(' ');
        const error = errors[key];
        if (kind === 'switch' || kind === 'boolean') {
          const checked = kind === 'switch' ? value === 1 : value === true;
          return html`
            <div class=${`field field-check ${error ? 'field-invalid' : ''}`} key=${key}>
              <label>
                <input
                  type="checkbox"
                  name=${key}
                  checked=${checked}
                  onChange=${(e) => set(key, kind === 'switch' ? (e.currentTarget.checked ? 1 : 0) : e.currentTarget.checked)}
                />
                <span class="field-label">${title}</span>
              </label>
              <span class="field-hint">${[property.description, fallback].filter(Boolean).join(' ')} <code>${key}</code></span>
              ${error ? html`<span class="field-error" role="alert">${error}</span>` : null}
            </div>
          `;
        }
        if (kind === 'enum') {
          return html`
            <${Field} key=${key} label=${title} hint=${hint} error=${error}>
              <select name=${key} value=${value === undefined ? '' : String(value)} onChange=${(e) => {
                const chosen = property.enum.find((option) => String(option) === e.currentTarget.value);
                set(key, chosen);
              }}>
                ${value === undefined ? html`<option value="">${t('config.choose')}</option>` : null}
                ${property.enum.map((option) => html`<option value=${String(option)}>${String(option)}</option>`)}
              </select>
            </${Field}>
          `;
        }
        if (kind === 'number') {
          return html`
            <${Field} key=${key} label=${title} hint=${hint} error=${error}>
              <input
                type="number"
                name=${key}
                inputmode=${property.type === 'integer' ? 'numeric' : 'decimal'}
                min=${property.minimum}
                max=${property.maximum}
                step=${property.type === 'integer' ? 1 : 'any'}
                value=${value === undefined ? '' : value}
                onInput=${(e) => set(key, e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))}
              />
            </${Field}>
          `;
        }
        return html`
          <${Field} key=${key} label=${title} hint=${hint} error=${error}>
            <input name=${key} maxlength=${property.maxLength} value=${value ?? ''} onInput=${(e) => set(key, e.currentTarget.value)} />
          </${Field}>
        `;
      })}
    </div>
  `;
}
