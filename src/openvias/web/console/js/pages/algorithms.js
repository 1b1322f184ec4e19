// Algorithm Center: the algorithm services with their versions, and one service's detail with
// its config.common parameters (from the service's JSON Schema) laid out as a table.
import { html, useEffect, useRef } from '../lib.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { link } from '../router.js';
import { DataTable, ErrorBox, Page, Spinner, StateBadge, formatTime, useAsync } from '../components.js';

function range(property) {
  const low = property.minimum ?? property.exclusiveMinimum;
  const high = property.maximum ?? property.exclusiveMaximum;
  if (low !== undefined && high !== undefined) return `${low} – ${high}`;
  if (low !== undefined) return `≥ ${low}`;
  if (high !== undefined) return `≤ ${high}`;
  if (property.maxLength !== undefined) return t('algorithms.maxLength', { n: property.maxLength });
  if (property.enum) return property.enum.join(', ');
  return '';
}

function defaultValue(property) {
  if (!('default' in property)) return '—';
  if (property.default === '') return t('algorithms.emptyDefault');
  return typeof property.default === 'object' ? JSON.stringify(property.default) : String(property.default);
}

function ConfigTable({ schema }) {
  const required = new Set(schema?.required ?? []);
  const rows = Object.entries(schema?.properties ?? {}).map(([name, property]) => ({ name, ...property, required: required.has(name) }));
  const columns = [
    {
      key: 'name',
      label: t('algorithms.param'),
      render: (row) => html`<code>${row.name}</code>${row.title ? html`<span class="param-title">${row.title}</span>` : null}`,
    },
    { key: 'type', label: t('algorithms.type'), render: (row) => row.type ?? '' },
    { key: 'default', label: t('algorithms.default'), render: defaultValue },
    { key: 'range', label: t('algorithms.range'), render: range },
    { key: 'required', label: t('algorithms.required'), render: (row) => (row.required ? t('common.yes') : t('common.no')) },
    { key: 'description', label: t('algorithms.description'), className: 'param-description', render: (row) => row.description ?? '' },
  ];
  return html`<${DataTable} columns=${columns} rows=${rows} rowKey="name" caption=${t('algorithms.config')} empty=${t('algorithms.noConfig')} />`;
}

function ServiceDetail({ serviceId }) {
  const detail = useAsync((signal) => api(`~/algorithm/services/${encodeURIComponent(serviceId)}`, { signal }), [serviceId]);
  const heading = useRef(null);
  // The detail opens above the list: bring it (and the keyboard focus) there.
  useEffect(() => {
    if (!detail.data || !heading.current) return;
    heading.current.focus({ preventScroll: true });
    heading.current.scrollIntoView({ block: 'start' });
  }, [detail.data]);
  if (detail.error) return html`<${ErrorBox} error=${detail.error} />`;
  if (!detail.data) return html`<${Spinner} />`;
  const service = detail.data;
  const constraints = service.deployment_constraints ?? {};
  return html`
    <section class="card service-detail" aria-labelledby="service-title">
      <div class="service-detail-head">
        <h2 id="service-title" tabindex="-1" ref=${heading}>${service.service_name}</h2>
        <a class="button" href=${link('/algorithms')}>${t('algorithms.close')}</a>
      </div>
      ${service.description ? html`<p>${service.description}</p>` : null}
      <dl class="facts">
        <div><dt>${t('algorithms.name')}</dt><dd>${service.alg_name}</dd></div>
        <div><dt>${t('algorithms.status')}</dt><dd><${StateBadge} state=${service.alg_status} /></dd></div>
        <div><dt>${t('algorithms.deployType')}</dt><dd>${service.deploy_type}</dd></div>
        <div><dt>${t('algorithms.version')}</dt><dd>${service.alg_version}</dd></div>
        <div><dt>${t('algorithms.versions')}</dt><dd>${(service.alg_versions ?? []).join(', ')}</dd></div>
        <div><dt>${t('algorithms.inputs')}</dt><dd>${(constraints.input_types ?? []).join(', ')}</dd></div>
        <div><dt>${t('algorithms.outputs')}</dt><dd>${(constraints.output_types ?? []).join(', ')}</dd></div>
        <div><dt>${t('algorithms.released')}</dt><dd>${formatTime(service.release_at)}</dd></div>
        <div><dt>${t('algorithms.serviceId')}</dt><dd><code>${service.service_id}</code></dd></div>
        <div><dt>${t('algorithms.algId')}</dt><dd><code>${service.alg_id}</code></dd></div>
      </dl>
      <${ConfigTable} schema=${service.config_schema} />
    </section>
  `;
}

export default function AlgorithmsPage({ route }) {
  const list = useAsync((signal) => api('~/algorithm/services/user', { query: { order_by: 'asc', sort_name: 'created_at' }, signal }), []);
  const chosen = route.params.get('service');
  const columns = [
    {
      key: 'service_name',
      label: t('algorithms.service'),
      render: (s) => html`<a href=${link('/algorithms', { service: s.service_id })} aria-current=${chosen === s.service_id ? 'true' : undefined}>${s.service_name}</a>`,
    },
    { key: 'deploy_type', label: t('algorithms.deployType') },
    { key: 'alg_version', label: t('algorithms.version') },
    { key: 'alg_status', label: t('algorithms.status'), render: (s) => html`<${StateBadge} state=${s.alg_status} />` },
    { key: 'tags', label: t('algorithms.tags'), render: (s) => (s.tags ?? []).join(', ') },
    { key: 'description', label: t('algorithms.description'), className: 'service-description', render: (s) => s.description ?? '' },
  ];
  return html`
    <${Page} title=${t('nav.algorithms')}>
      <p class="muted">${t('algorithms.intro')}</p>
      <${ErrorBox} error=${list.error} />
      ${chosen ? html`<${ServiceDetail} key=${chosen} serviceId=${chosen} />` : null}
      ${list.data
        ? html`<${DataTable} columns=${columns} rows=${list.data.service_list} rowKey="service_id" caption=${t('algorithms.services', { n: list.data.total })} empty=${t('algorithms.none')} />`
        : list.error
          ? null
          : html`<${Spinner} />`}
    </${Page}>
  `;
}
