/** Rater web app: keyboard-driven pairwise rating of images (issue 7). */
package io.memescope.rater;
