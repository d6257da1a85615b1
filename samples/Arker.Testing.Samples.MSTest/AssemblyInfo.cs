// Each test has a VM of its own, so they may all run at once.
[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]
