/**
 * `millrace/serdes` — see DESIGN.md. This entry point is reserved in the package's exports map;
 * its API arrives with the issues that build the serdes layer, and it exports nothing yet.
 */
export {}
