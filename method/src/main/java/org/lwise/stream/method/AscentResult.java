package org.lwise.stream.method;

import java.util.List;

/**
 * What a trajectory produced.
 *
 * @param logits0 logits at x0 (the scoring forward pass)
 * @param best per output, the chosen image (CHW, [0,1])
 * @param bestStep per output, the index t of the chosen iterate (0 = x0 itself)
 * @param losses the loss at every iterate x0..xT (of the objective, before the attack sign)
 * @param last the final iterate xT
 */
public record AscentResult(
    float[] logits0, List<float[]> best, List<Integer> bestStep, float[] losses, float[] last) {}
