using Arker.Testing.Extensibility;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Xunit;

/// <summary>
/// A class fixture (<c>IClassFixture&lt;ArkerVmFixture&lt;TTemplate&gt;&gt;</c>): provisions one base
/// for the class; each test calls <see cref="LeaseAsync"/> for its own fork.
/// </summary>
/// <typeparam name="TTemplate">The template of the base.</typeparam>
public class ArkerVmFixture<TTemplate> : IAsyncLifetime
    where TTemplate : VmTemplate, new()
{
    private readonly string _scope;

    /// <summary>A fixture whose base is its own (one per test class).</summary>
    public ArkerVmFixture()
        : this("class fixture " + Guid.NewGuid().ToString("N"))
    {
    }

    /// <summary>A fixture whose base is shared by every fixture of the same <paramref name="scope"/>.</summary>
    protected ArkerVmFixture(string scope) => _scope = scope;

    /// <summary>The provisioned base VM.</summary>
    public BaseVm Base { get; private set; } = null!;

    /// <summary>The run's environment.</summary>
    public ArkerTestEnvironment TestEnvironment { get; private set; } = null!;

    /// <summary>A fork of the base for the current test; dispose it (or release it with the test's outcome) when the test ends.</summary>
    public Task<VmLease> LeaseAsync()
    {
        TestInfo test = XunitTestFramework.RequireCurrentTest();
        ArkerTestScope.EnsureAvailable(TestEnvironment, test);
        return Base.LeaseAsync(test.DisplayName, TestContext.Current.CancellationToken);
    }

    /// <summary>Provisions the base (or finds the one of its scope).</summary>
    public virtual async ValueTask InitializeAsync()
    {
        TestEnvironment = await ArkerTestEnvironment.GetSharedAsync();
        if (TestEnvironment.UnavailableReason is not null)
        {
            return; // each test skips or fails when it asks for a VM
        }

        Base = await TestEnvironment.GetBaseAsync(new TTemplate(), _scope, TestContext.Current.CancellationToken);
    }

    /// <summary>The base lives until the end of the run, with the environment that made it.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// An assembly fixture (<c>[assembly: AssemblyFixture(typeof(ArkerAssemblyFixture&lt;TTemplate&gt;))]</c>):
/// one base for the whole run, shared with every <see cref="ArkerVmAttribute"/> of scope Run.
/// </summary>
/// <typeparam name="TTemplate">The template of the base.</typeparam>
public sealed class ArkerAssemblyFixture<TTemplate> : ArkerVmFixture<TTemplate>
    where TTemplate : VmTemplate, new()
{
    /// <summary>The run-wide base of <typeparamref name="TTemplate"/>.</summary>
    public ArkerAssemblyFixture()
        : base(ArkerTestEnvironment.RunScope)
    {
    }
}
