/**
 * Trainer: the quality model, trained with DJL, active learning, and model publishing (issue 8).
 */
package io.memescope.trainer;
