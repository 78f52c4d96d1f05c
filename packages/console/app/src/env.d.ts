// Vite imports a stylesheet for its side effect (bundled into a file of its own).
declare module '*.css';
