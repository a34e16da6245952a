/**
 * Pairwise ratings: the five-point scale, pairs and the rating queue that the rater web app serves
 * and the trainer's active learning fills.
 */
package io.memescope.core.rating;
