/* ficha.js: the record screen and the forms (issue 14). */
