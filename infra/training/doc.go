// Package training provides the GPU training of mlbundle on AWS Batch: the training
// container image built from training/Dockerfile, a spot GPU compute environment with an
// on-demand one behind it on a single job queue, a job definition asking for one GPU, and
// an EventBridge schedule that retrains the recommender periodically. The job's role may
// read the interactions table and the data/ prefix, and write only under models/.
package training
