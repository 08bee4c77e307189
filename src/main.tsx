/**
 * The page's entry, kept free of imports on purpose. TF.js reads the address
 * when it is first evaluated: it decodes every query parameter (a malformed
 * %-escape such as `?foo=%` throws and leaves a blank page) and applies
 * `?tfjsflags=` from any link. So the query is taken out of the address here,
 * before anything else loads, and handed to boot.tsx, which reads only the
 * lab's own keys from it (src/store/urlState.ts) and puts those back.
 */
const search = window.location.search;
if (search) window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.hash}`);
const root = document.getElementById('root')!;
// The big libraries first, one dynamic import each: a module graph is evaluated in one task, and the
// whole lab at once was one 72-80 ms task at page start; staged, the longest is ~40 ms (the first render).
const stages = [() => import('react-dom/client'), () => import('@tensorflow/tfjs'), () => import('@tensorflow/tfjs-backend-wasm'), () => import('recharts')];
stages.reduce<Promise<unknown>>((loaded, next) => loaded.then(next), Promise.resolve())
  .then(() => import('./boot'))
  .then(({ boot }) => boot(root, search))
  .catch((err: unknown) => {
    // Nothing else can show this: the lab's own code failed to load (a broken build or a lost connection).
    root.textContent = `The lab could not start: ${err instanceof Error ? err.message : String(err)}. Reload the page.`;
  });
