using System.Reflection;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Messages;

/// <summary>
/// Fills a generated message (and its nested structs) with random values through reflection, so
/// every message type can be round-tripped at every version without a hand-written sample each.
/// Fields absent in a version are filled too; the encoder must simply leave them out.
/// </summary>
internal sealed class RandomMessageFiller(int seed)
{
    private const int MaxDepth = 4;
    private readonly Random _random = new(seed);

    /// <summary>Probability that a nullable reference is left null.</summary>
    public double NullChance { get; init; } = 0.15;

    public T Fill<T>(T message)
        where T : class
    {
        FillObject(message, 0);
        return message;
    }

    private void FillObject(object target, int depth)
    {
        foreach (PropertyInfo property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite)
            {
                continue;
            }

            if (property.Name == nameof(ProduceRequestData.UnknownTaggedFields))
            {
                property.SetValue(target, _random.Next(4) == 0 ? RandomUnknownTags() : null);
                continue;
            }

            bool nullable = new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;
            property.SetValue(target, RandomValue(property.PropertyType, nullable, depth));
        }
    }

    private List<RawTaggedField> RandomUnknownTags()
    {
        // Tags far above any Kafka assigns, ascending, as a real encoder would write them.
        var tags = new List<RawTaggedField>();
        uint tag = 5000;
        int count = _random.Next(1, 3);
        for (int i = 0; i < count; i++)
        {
            tag += (uint)_random.Next(1, 100);
            tags.Add(new RawTaggedField(tag, RandomBytes(_random.Next(0, 6))));
        }

        return tags;
    }

    private object? RandomValue(Type type, bool nullable, int depth)
    {
        Type? underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return _random.NextDouble() < NullChance ? null : RandomValue(underlying, nullable: false, depth);
        }

        if (nullable && !type.IsValueType && _random.NextDouble() < NullChance)
        {
            return null;
        }

        if (type == typeof(bool))
        {
            return _random.Next(2) == 1;
        }

        if (type == typeof(sbyte))
        {
            return (sbyte)_random.Next(sbyte.MinValue, sbyte.MaxValue + 1);
        }

        if (type == typeof(short))
        {
            return (short)_random.Next(short.MinValue, short.MaxValue + 1);
        }

        if (type == typeof(ushort))
        {
            return (ushort)_random.Next(0, ushort.MaxValue + 1);
        }

        if (type == typeof(int))
        {
            return _random.Next(int.MinValue, int.MaxValue);
        }

        if (type == typeof(uint))
        {
            return (uint)_random.NextInt64(0, uint.MaxValue);
        }

        if (type == typeof(long))
        {
            return _random.NextInt64(long.MinValue, long.MaxValue);
        }

        if (type == typeof(double))
        {
            return (_random.NextDouble() - 0.5) * 1e6;
        }

        if (type == typeof(Uuid))
        {
            return new Uuid(_random.NextInt64(), _random.NextInt64());
        }

        if (type == typeof(string))
        {
            return RandomString();
        }

        if (type == typeof(ReadOnlyMemory<byte>))
        {
            return RandomBytes(_random.Next(0, 40));
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            Type element = type.GetGenericArguments()[0];
            var list = (System.Collections.IList)Activator.CreateInstance(type)!;
            int count = depth >= MaxDepth ? 0 : _random.Next(0, 4);
            for (int i = 0; i < count; i++)
            {
                list.Add(RandomValue(element, nullable: false, depth + 1));
            }

            return list;
        }

        if (type.IsClass)
        {
            object instance = Activator.CreateInstance(type)!;
            if (depth < MaxDepth)
            {
                FillObject(instance, depth + 1);
            }

            return instance;
        }

        throw new NotSupportedException($"No random values for {type}");
    }

    private string RandomString()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._ éü한글";
        int length = _random.Next(0, 20);
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = alphabet[_random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private ReadOnlyMemory<byte> RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }
}
