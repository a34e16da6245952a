/** Serving API and search UI over the live index (issue 6). */
package io.memescope.serving;
