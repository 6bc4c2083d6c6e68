package serving

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// alarmPeriod is the evaluation window of every alarm.
const alarmPeriod = 5 * time.Minute

// Alarms creates CloudWatch alarms that all notify one SNS topic.
type Alarms struct {
	constructs.Construct
	Topic  awssns.Topic
	action awscloudwatch.IAlarmAction
}

// NewAlarms creates the alarm topic; email, when set, is subscribed to it.
func NewAlarms(scope constructs.Construct, id, email string) *Alarms {
	c := constructs.NewConstruct(scope, &id)
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("mlbundle alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	return &Alarms{Construct: c, Topic: topic, action: awscloudwatchactions.NewSnsAction(topic)}
}

// Watch alarms on any error, any throttle, and a p99 duration above p99 for fn.
func (a *Alarms) Watch(fn awslambda.Function, name string, p99 time.Duration) {
	opts := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(alarmPeriod.Minutes()))}
	a.add(name+"Errors", fmt.Sprintf("%s: invocation errors", name), fn.MetricErrors(opts), 1)
	a.add(name+"Throttles", fmt.Sprintf("%s: throttled invocations", name), fn.MetricThrottles(opts), 1)
	p99opts := &awscloudwatch.MetricOptions{Period: opts.Period, Statistic: jsii.String("p99")}
	a.add(name+"LatencyP99", fmt.Sprintf("%s: p99 duration above %s", name, p99),
		fn.MetricDuration(p99opts), float64(p99.Milliseconds()))
}

// WatchQueue alarms as soon as a message waits in q (a failed reload).
func (a *Alarms) WatchQueue(q awssqs.IQueue, name string) {
	m := q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(alarmPeriod.Minutes())), Statistic: jsii.String("Maximum"),
	})
	a.add(name, name+": checkpoint events that reload could not handle", m, 1)
}

// WatchAPI alarms on server errors (5xx) returned by the HTTP API.
func (a *Alarms) WatchAPI(api awsapigatewayv2.HttpApi) {
	m := api.MetricServerError(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(alarmPeriod.Minutes())), Statistic: jsii.String("Sum"),
	})
	a.add("api5xx", "api: 5xx responses", m, 5)
}

// add creates one alarm: metric >= threshold for one period; missing data is fine.
func (a *Alarms) add(id, description string, m awscloudwatch.IMetric, threshold float64) {
	alarm := awscloudwatch.NewAlarm(a.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             m,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	alarm.AddAlarmAction(a.action)
}
