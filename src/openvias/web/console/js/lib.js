// The console's one library: htm 3.1.1 with its bundled Preact (vendor/VENDOR.json).
export {
  html,
  render,
  h,
  useState,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useCallback,
  useContext,
  useReducer,
  createContext,
} from '../vendor/htm-preact-standalone.module.js';
