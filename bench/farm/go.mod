module kproffarm

go 1.19
