package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestTrainingBatch(t *testing.T) {
	// GIVEN the training template
	f := getFixture(t)
	tpl := f.templates[TrainingStackName]
	ces := f.resources(TrainingStackName, "AWS::Batch::ComputeEnvironment")

	// THEN there are two GPU compute environments scaling to zero: spot and on-demand
	if len(ces) != 2 {
		t.Fatalf("compute environments: got %d, want 2", len(ces))
	}
	for _, tc := range []struct {
		id, typ, strategy string
	}{
		{logicalID(f.stacks.Training.Spot), "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED"},
		{logicalID(f.stacks.Training.OnDemand), "EC2", "BEST_FIT_PROGRESSIVE"},
	} {
		cr := dig(props(ces[tc.id]), "ComputeResources")
		if dig(cr, "Type") != tc.typ || dig(cr, "AllocationStrategy") != tc.strategy {
			t.Errorf("%s: type %v strategy %v, want %s %s", tc.id, dig(cr, "Type"), dig(cr, "AllocationStrategy"), tc.typ, tc.strategy)
		}
		if dig(cr, "MinvCpus") != 0.0 || dig(cr, "MaxvCpus") != f.cfg.MaxVCPUs {
			t.Errorf("%s: vCPUs %v..%v", tc.id, dig(cr, "MinvCpus"), dig(cr, "MaxvCpus"))
		}
		if jsonString(dig(cr, "InstanceTypes")) != jsonString(f.cfg.GPUInstances) {
			t.Errorf("%s: instance types %v, want %v", tc.id, dig(cr, "InstanceTypes"), f.cfg.GPUInstances)
		}
		if jsonString(dig(cr, "Ec2Configuration")) != `[{"ImageType":"ECS_AL2023_NVIDIA"}]` {
			t.Errorf("%s: image %v, want the NVIDIA ECS AMI", tc.id, dig(cr, "Ec2Configuration"))
		}
	}
	// AND one queue tries spot first, then on-demand
	check(t, "queue", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Batch::JobQueue"), map[string]any{
			"ComputeEnvironmentOrder": []any{
				map[string]any{"Order": 1, "ComputeEnvironment": map[string]any{"Fn::GetAtt": []any{logicalID(f.stacks.Training.Spot), "ComputeEnvironmentArn"}}},
				map[string]any{"Order": 2, "ComputeEnvironment": map[string]any{"Fn::GetAtt": []any{logicalID(f.stacks.Training.OnDemand), "ComputeEnvironmentArn"}}},
			},
		})
	})
}

func TestTrainingJobDefinition(t *testing.T) {
	// GIVEN the job definition
	f := getFixture(t)
	tpl := f.templates[TrainingStackName]
	check(t, "one job definition", func() { tpl.ResourceCountIs(jsii.String("AWS::Batch::JobDefinition"), jsii.Number(1)) })
	jd := props(f.resources(TrainingStackName, "AWS::Batch::JobDefinition")[logicalID(f.stacks.Training.JobDefinition)])
	cp := dig(jd, "ContainerProperties")

	// THEN it asks for one GPU
	gpus := 0
	for _, r := range dig(cp, "ResourceRequirements").([]any) {
		if dig(r, "Type") == "GPU" {
			gpus++
			if dig(r, "Value") != "1" {
				t.Errorf("GPU requirement %v, want 1", dig(r, "Value"))
			}
		}
	}
	if gpus != 1 {
		t.Errorf("GPU requirements: %d", gpus)
	}
	// AND runs with the job role, its environment naming the storage resources
	if !refersTo(dig(cp, "JobRoleArn"), logicalID(f.stacks.Training.JobRole)) {
		t.Errorf("job role %v", dig(cp, "JobRoleArn"))
	}
	env := map[string]string{}
	for _, e := range dig(cp, "Environment").([]any) {
		env[dig(e, "Name").(string)] = jsonString(dig(e, "Value"))
	}
	st := f.stacks.Storage
	for name, parts := range map[string][]string{
		"JOB":                 {`"ncf"`},
		"DATA_URI":            {"dynamodb://", logicalID(st.Interactions)},
		"OUTPUT_URI":          {"s3://", logicalID(st.Bucket), "/models/"},
		"CLASSIFIER_DATA_URI": {"s3://", logicalID(st.Bucket), "/data/classifier/"},
	} {
		for _, p := range parts {
			if !strings.Contains(env[name], p) {
				t.Errorf("%s=%s does not contain %s", name, env[name], p)
			}
		}
	}
	// AND retries only when spot reclaims the host
	check(t, "retry", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Batch::JobDefinition"), map[string]any{
			"RetryStrategy": map[string]any{"EvaluateOnExit": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Action": "RETRY", "OnStatusReason": "Host EC2*"},
			})},
		})
	})
}

func TestTrainingImageIsStagedNotBuilt(t *testing.T) {
	// GIVEN the synthesized cloud assembly (no Docker on this machine)
	f := getFixture(t)
	raw, err := os.ReadFile(filepath.Join(f.outDir, TrainingStackName+".assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		DockerImages map[string]struct {
			Source struct{ Directory, Platform string } `json:"source"`
		} `json:"dockerImages"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	// THEN the training image is one docker asset for linux/amd64 whose staged build
	// context holds training/Dockerfile, to be built at deploy time
	if len(manifest.DockerImages) != 1 {
		t.Fatalf("docker image assets: %d", len(manifest.DockerImages))
	}
	for _, img := range manifest.DockerImages {
		if img.Source.Platform != "linux/amd64" {
			t.Errorf("platform %q", img.Source.Platform)
		}
		want, _ := os.ReadFile(filepath.Join(f.cfg.TrainingDir, "Dockerfile"))
		got, err := os.ReadFile(filepath.Join(f.outDir, img.Source.Directory, "Dockerfile"))
		if err != nil || string(got) != string(want) {
			t.Errorf("staged Dockerfile differs from training/Dockerfile (%v)", err)
		}
	}
}

func TestTrainingSchedule(t *testing.T) {
	// GIVEN the retraining rule
	f := getFixture(t)
	tpl := f.templates[TrainingStackName]
	// THEN it submits the job definition to the queue on the configured schedule
	check(t, "rule", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": f.cfg.RetrainSchedule,
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
				"Arn":             map[string]any{"Fn::GetAtt": []any{logicalID(f.stacks.Training.Queue), "JobQueueArn"}},
				"BatchParameters": assertions.Match_ObjectLike(&map[string]any{"JobDefinition": map[string]any{"Ref": logicalID(f.stacks.Training.JobDefinition)}}),
			})},
		})
	})
}
