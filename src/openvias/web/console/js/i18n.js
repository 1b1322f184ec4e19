// Every visible string goes through t('key', params). One catalogue per area
// (js/i18n/<lang>-<area>.js); a Chinese catalogue is added beside the English ones.
import shell from './i18n/en-shell.js';
import video from './i18n/en-video.js';
import tasks from './i18n/en-tasks.js';
import events from './i18n/en-events.js';

const catalogues = { en: { ...shell, ...video, ...tasks, ...events } };

export const language = 'en';
const messages = catalogues[language];

// t('tasks.count', { n: 3 }) with 'tasks.count': '{n} tasks' gives '3 tasks'. An unknown key
// shows as itself, so a missing text is visible instead of blank.
export function t(key, params) {
  const text = messages[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined || params[name] === null ? whole : String(params[name]),
  );
}

// Numbers in the user's language (thousands separators).
export function formatNumber(value) {
  return new Intl.NumberFormat(language).format(value);
}
