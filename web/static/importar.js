/* importar.js: the import from the page (issue 14). */
