// A few lines of client-side routing over the History API: the server answers any page path
// of the console with index.html, so /connectors/desk can be linked to and reloaded.
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<(p: string) => void>();

export function navigate(path: string) {
  if (path === location.pathname) return;
  history.pushState(null, "", path);
  listeners.forEach((f) => f(path));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    window.addEventListener("popstate", onPop);
    listeners.add(setPath);
    return () => {
      window.removeEventListener("popstate", onPop);
      listeners.delete(setPath);
    };
  }, []);
  return path;
}

// An <a> that navigates in the page (a modified click still opens a new tab as links do).
export function linkHandler(path: string) {
  return (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  };
}
