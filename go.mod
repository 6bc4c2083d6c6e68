module github.com/contentml/mlbundle

go 1.26
