// Pieces both Video Center pages use: paging in the URL, debounced search, VIAS field errors,
// deleting many objects one by one.
import { html, useEffect, useState } from '../lib.js';
import { api } from '../api.js';
import { setParams } from '../router.js';
import { t } from '../i18n.js';

export const PAGE_SIZES = [10, 20, 50, 100, 200];
const DEFAULT_PAGE_SIZE = 20;

// The page of a list from the URL (?page=2&size=50): 1-based page, size within the API's 5-200.
export function pageFromParams(params) {
  const size = Number(params.get('size'));
  const page = Number(params.get('page'));
  return {
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_PAGE_SIZE,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

// The ListVideoSources / ListVideoGroups paging query of a page.
export function pagingQuery({ page, size }) {
  return { is_paged: true, page_num: page, page_size: size };
}

// Pager's onChange(offset[, limit]) -> the page in the URL.
export function pageChanger(size) {
  return (offset, limit) => {
    const newSize = limit && limit !== size ? limit : size;
    setParams({ page: Math.floor(offset / newSize) + 1, size: newSize === DEFAULT_PAGE_SIZE ? null : newSize });
  };
}

// A text input whose value reaches the URL key `key` 300 ms after typing stops (and goes back
// to page 1: `pageKey` is removed); follows the URL when it changes elsewhere (back button, "clear filters").
export function useSearchParam(params, key, pageKey = 'page') {
  const fromUrl = params.get(key) ?? '';
  const [text, setText] = useState(fromUrl);
  useEffect(() => setText(fromUrl), [fromUrl]);
  useEffect(() => {
    if (text === fromUrl) return undefined;
    const timer = setTimeout(() => setParams({ [key]: text.trim(), [pageKey]: null }), 300);
    return () => clearTimeout(timer);
  }, [text]);
  return [text, setText];
}

// The VIAS error of a field: the ApiError whose body names `names` in `params`.
export function errorFor(error, ...names) {
  const param = error?.body?.params?.[0];
  if (!param) return null;
  if (!names.some((name) => param === name || param.startsWith(`${name}.`) || param.startsWith(`${name}[`))) return null;
  return error.code ? `${viasText(error)} (${error.code})` : viasText(error);
}

// error_msg with the VIAS detail after it when it says more.
export function viasText(error) {
  const detail = error?.body?.detail;
  const message = error?.message ?? String(error);
  return detail && detail !== message ? `${message} ${detail}` : message;
}

// Runs `action(item)` for each item, one after another; returns the failures as
// [{ item, error }].
export async function eachInTurn(items, action) {
  const failures = [];
  for (const item of items) {
    try {
      await action(item);
    } catch (error) {
      failures.push({ item, error });
    }
  }
  return failures;
}

// The ids of every source in a group (ListVideoSources pages of 200).
export async function memberIds(groupId) {
  const ids = [];
  for (let page = 1; ; page += 1) {
    const answer = await api('~/source/sources', {
      query: { video_group_id: groupId, is_paged: true, page_size: 200, page_num: page, order_by: 'asc' },
    });
    ids.push(...answer.video_source_list.map((s) => s.video_source_id));
    if (answer.video_source_list.length < 200 || ids.length >= answer.total_number) return ids;
  }
}

// An ErrorBox whose text carries the VIAS detail too.
export function viasError(error) {
  if (!error) return null;
  return { status: error.status, code: error.code, message: viasText(error) };
}

// Filter controls labelled with <label for>: a label wrapping a <select> would take the
// option texts into the control's accessible name.
export function FilterSelect({ id, label, value, options, onChange, className = '' }) {
  return html`
    <div class=${`video-filter ${className}`}>
      <label for=${id}>${label}</label>
      <select id=${id} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
        ${options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}
      </select>
    </div>`;
}

export function FilterSearch({ id, label, value, onInput, maxLength = 255, className = 'video-filter-search' }) {
  return html`
    <div class=${`video-filter ${className}`}>
      <label for=${id}>${label}</label>
      <input id=${id} type="search" value=${value} maxlength=${maxLength} autocomplete="off"
        onInput=${(e) => onInput(e.currentTarget.value)} />
    </div>`;
}

// "Per page" beside the Pager; the size lives in the URL (?size=).
export function PageSize({ id, size }) {
  return html`<${FilterSelect} id=${id} className="video-page-size" label=${t('video.sources.pageSize')}
    value=${String(size)} options=${PAGE_SIZES.map((n) => [String(n), String(n)])}
    onChange=${(value) => setParams({ size: value, page: null })} />`;
}

// The filters beyond the search: always shown on wide screens; on phones behind a
// "Filters" button (CSS), which says how many are set.
export function MoreFilters({ id, active, children }) {
  const [open, setOpen] = useState(false);
  return html`
    <button type="button" class="video-filters-toggle" aria-expanded=${open} aria-controls=${id} onClick=${() => setOpen(!open)}>
      ${active ? t('video.filters.toggleActive', { count: active }) : t('video.filters.toggle')}
    </button>
    <div id=${id} class=${`video-filters-more${open ? ' is-open' : ''}`}>${children}</div>`;
}
