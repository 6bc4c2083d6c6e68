# mlbundle: serverless recommend + classify. `make demo` runs the main job, `make test` the tests.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

ROOT      := $(CURDIR)
VENV       = $(shell ./scripts/venv.sh)
PY         = PYTHONPATH=$(ROOT)/training HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/python
ORT_LIB    = $(shell ./scripts/onnxruntime.sh)
GOENV      = ONNXRUNTIME_LIB=$(ORT_LIB)

.PHONY: help setup demo test test-python test-go test-infra train fixtures bench bench-models item-cold-start synth deploy invoke serve

help:            ## list targets
	@grep -E '^[a-z-]+:.*##' Makefile | sed 's/:.*##/\t/'

setup:           ## training venv, test-tools venv (moto_server) and ONNX Runtime library, cached under ~/.cache/mlbundle
	@echo "venv: $(VENV)"; echo "test tools: $$(./scripts/venv.sh tools)"; echo "onnxruntime: $(ORT_LIB)"

demo:            ## train small models, publish to models/, serve locally, answer recommend + classify
	./scripts/demo.sh

test:            ## every test: Python (pytest), Go (-race, moto_server), infra (CDK assertions)
	./scripts/test.sh

test-python:     ## pytest for training/
	cd training && $(PY) -m pytest -q

test-go:         ## go test -race for functions/ and shared/ (starts moto_server)
	./scripts/test.sh go

test-infra:      ## CDK assertion tests
	./scripts/test.sh infra

train:           ## train both models on synthetic data into models/ (see training/README.md for flags)
	./scripts/demo.sh train

fixtures:        ## regenerate the small committed test checkpoints under testdata/checkpoints
	$(PY) training/scripts/make_fixtures.py --out testdata/checkpoints

bench:           ## benchmark suite beside its peers, checked against bench/thresholds.json; writes docs/ML_BENCHMARKS.md
	./scripts/bench.sh

bench-models:    ## train the benchmark checkpoints on the held-back splits of ../shared/data (tens of minutes)
	./scripts/bench.sh models

item-cold-start: ## items added by text after training: HR@10 and NDCG@10 against popularity and random placement, synthetic and MovieLens 100K (from MLBUNDLE_DATA, default ../shared/data, when present); about 15 minutes on 2 cores
	data=$${MLBUNDLE_DATA:-$(ROOT)/../shared/data}/ml-100k/u.data
	sets=(synthetic); [ -f "$$data" ] && sets+=("$$data") || echo "no $$data: synthetic data only"
	mkdir -p .local
	$(PY) -m mlbundle_training.cli --log-level warning item-cold-start --data-path "$${sets[@]}" \
	  --synthetic-users 1000 --synthetic-items 1000 --synthetic-count 40000 --threads 2 --out .local/item-cold-start.json

synth:           ## cdk synth, offline
	./scripts/cdk.sh synth

deploy:          ## cdk deploy (needs the npm aws-cdk CLI and AWS credentials)
	./scripts/cdk.sh deploy

serve:           ## local API server on :8080 over models/ and the embedded store
	$(GOENV) go run ./cmd/mlbundle serve

invoke:          ## invoke a function on an event: make invoke FN=recommend EVENT=events/recommend-get.json
	$(GOENV) go run ./cmd/mlbundle invoke $(FN) $(EVENT)
