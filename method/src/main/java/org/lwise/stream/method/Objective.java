package org.lwise.stream.method;

/**
 * The loss an enhancement descends (SPEC.md): {@code LOGIT} L = −z_y, {@code CROSS_ENTROPY} L =
 * −log softmax(z)_y, {@code LOGIT_DIVERGE} L = −(z_y − mean over D of z_k). The method's own copy
 * of the pipeline's Avro enum, so that the method needs no record schemas; the names match.
 */
public enum Objective {
  LOGIT,
  CROSS_ENTROPY,
  LOGIT_DIVERGE
}
