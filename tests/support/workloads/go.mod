module kprof.test/workloads

go 1.19
