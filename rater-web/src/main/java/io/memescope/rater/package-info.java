/**
 * The rater web app: raters sign in and rate pairs of images on a five-point scale by keyboard; the
 * ratings, the rating queue and the accounts live in Cassandra.
 */
package io.memescope.rater;
