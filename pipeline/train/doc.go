// Package train is the pipeline's training step, where the workshop hands
// the training data to Amazon SageMaker: it fits a baseline recommender on
// rating_new, measures it on a time-based holdout, and writes the training
// and validation sets in the CSV layout SageMaker's built-in algorithms take.
//
// The model is the global mean plus regularised user and item biases
// (Koren's baseline predictors), optionally with matrix factorisation on
// top (MF.Factors > 0). The holdout is the newest tenth of the ratings by
// time: the model predicts ratings given after everything it learnt from,
// as a recommender in service does. Its RMSE is reported beside the RMSE of
// the global mean, the baseline any model must beat.
//
// The same input and seed give the same split, model, figures and files.
//
// Like every pipeline stage, train depends on package pipeline and the SDK
// only: it must not import another stage, emulation/, fixtures/,
// integration/ or magefiles/.
package train
