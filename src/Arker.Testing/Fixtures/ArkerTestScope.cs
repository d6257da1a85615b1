using Arker.Testing.Client;
using Arker.Testing.Extensibility;

namespace Arker.Testing.Fixtures;

/// <summary>
/// One test's VM, from set-up to clean-up: the entry point of the test-framework adapters, which
/// only read their framework's context into a <see cref="TestInfo"/> and map its lifecycle here.
/// </summary>
public sealed class ArkerTestScope
{
    private readonly bool _shared;

    private ArkerTestScope(TestInfo test, ArkerTestEnvironment environment, BaseVm baseVm, VmLease lease, bool shared)
    {
        _shared = shared;
        Test = test;
        Environment = environment;
        Base = baseVm;
        Lease = lease;
    }

    /// <summary>The test.</summary>
    public TestInfo Test { get; }

    /// <summary>The run the test belongs to.</summary>
    public ArkerTestEnvironment Environment { get; }

    /// <summary>The provisioned base the test's VM was forked from.</summary>
    public BaseVm Base { get; }

    /// <summary>The test's lease of its VM.</summary>
    public VmLease Lease { get; }

    /// <summary>The test's own VM.</summary>
    public Computer Vm => Lease.Vm;

    /// <summary>
    /// Gets the run (started on first use), applies its skip policy, finds or provisions the base
    /// the test's <see cref="ArkerVmAttribute"/> names, and leases the test's own fork of it.
    /// </summary>
    public static async Task<ArkerTestScope> BeginAsync(TestInfo test, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArkerTestEnvironment environment = await ArkerTestEnvironment.GetSharedAsync();
        EnsureAvailable(environment, test);

        ArkerVmAttribute choice = ArkerVmAttribute.For(test.TestClass, test.TestMethod);
        BaseVm baseVm = await environment.GetBaseAsync(choice.CreateTemplate(), choice.ScopeKey(test.TestClass), cancellationToken);
        VmLease lease = choice.ShareVm ? await baseVm.SharedLeaseAsync(cancellationToken) : await baseVm.LeaseAsync(test.DisplayName, cancellationToken);
        if (choice.NetworkPolicy is { } network)
        {
            try
            {
                await lease.Vm.SetNetworkPolicyAsync(network, cancellationToken);
            }
            catch when (!choice.ShareVm)
            {
                await lease.ReleaseAsync(testFailed: false);
                throw;
            }
        }

        test.WriteOutput($"[arker] VM {lease.Vm.Id} ({(choice.ShareVm ? "shared by the tests of " + baseVm.Template.Name + ", a " : "")}fork of {baseVm.Vm.Id}, template {baseVm.Template.Name})");
        return new ArkerTestScope(test, environment, baseVm, lease, shared: choice.ShareVm);
    }

    /// <summary>
    /// The run's skip policy: returns when VMs can be had; otherwise ends the test as skipped, or
    /// as failed when the run requires Arker, with what is missing.
    /// </summary>
    public static void EnsureAvailable(ArkerTestEnvironment environment, TestInfo test)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(test);
        if (environment.UnavailableReason is not { } reason)
        {
            return;
        }

        if (environment.Settings.Require)
        {
            throw test.CreateAssertionFailure?.Invoke(environment.UnavailableMessage!) ?? new ArkerUnavailableException(environment.UnavailableMessage!, required: true);
        }

        throw test.CreateSkip(reason);
    }

    /// <summary>
    /// Attaches a failed test's evidence (the VM's transcript and the files it named), then deletes
    /// the test's VM, or keeps it (saying so in the test's output) when keeping is on. A shared VM
    /// stays for the other tests (it goes with its base at the end of the run).
    /// </summary>
    public async Task EndAsync(bool testFailed)
    {
        if (_shared)
        {
            // The VM outlives the test: a failure's evidence is attached, the VM stays for the others.
            if (testFailed && await Lease.RecordFailureAsync(Test) is { } failure)
            {
                Test.WriteOutput("[arker] " + failure);
            }

            return;
        }

        if (await Lease.ReleaseAsync(testFailed, Test) is { } note)
        {
            Test.WriteOutput("[arker] " + note);
        }
    }
}
