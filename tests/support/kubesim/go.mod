module kubesim

go 1.19
