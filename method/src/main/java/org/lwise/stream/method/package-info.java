/**
 * The L-WISE method as a library (SPEC.md), with no Kafka, registry or S3: what the gpu-worker, the
 * trainer and the {@code bench}/{@code grid} commands run.
 *
 * <ul>
 *   <li>Start from {@link org.lwise.stream.method.RobustClassifier#load}: a model card ({@link
 *       org.lwise.stream.method.ModelCard}) and its TorchScript model on an {@link
 *       org.lwise.stream.method.InferenceDevice}.
 *   <li>Scoring: {@link org.lwise.stream.method.RobustClassifier#newImagePredictor()} (a DJL
 *       predictor whose {@link org.lwise.stream.method.LogitsTranslator} does the PIL-exact
 *       preprocessing; forward only) and {@link org.lwise.stream.method.GroundTruthLogitScorer}.
 *   <li>Enhancement: {@link org.lwise.stream.method.TrajectoryPlanner} turns {@link
 *       org.lwise.stream.method.EnhancementCondition}s into shared {@link
 *       org.lwise.stream.method.Trajectory}s, run by {@link
 *       org.lwise.stream.method.L2ProjectedAscent} (best iterate) or {@link
 *       org.lwise.stream.method.MultiViewAscent} (random views, last iterate).
 *   <li>Images: {@link org.lwise.stream.method.ImageDecoder} (as PIL decodes), {@link
 *       org.lwise.stream.method.Preprocessor} (Resize + CenterCrop + ToTensor, PIL-exact), {@link
 *       org.lwise.stream.method.RgbImage#fromChw} (the reference's 8-bit conversion).
 * </ul>
 */
package org.lwise.stream.method;
