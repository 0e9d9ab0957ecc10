<?php
require_once __DIR__ . '/PayXToday.php';

// The shop's checkout: a PayXToday client for the customer, a payment for the order, and the
// page the customer is sent to. When PayXToday is down the customer is asked to try again.
class Checkout
{
    public const RETRY_MESSAGE = 'Payments are unavailable right now. Your order is saved: please try again in a few minutes.';

    public function __construct(private PayXToday $payxtoday) {}

    /** @return array{ok: bool, message?: string, id?: int, uuid?: string} */
    public function start(string $name, string $email, float $price, string $order): array
    {
        try {
            $client = $this->payxtoday->createClient($name, 102, $email);
            $payment = $this->payxtoday->createPayment($client['id_client'], $price, 12, "order $order");
        } catch (PayXTodayUnavailable $e) {
            return ['ok' => false, 'message' => self::RETRY_MESSAGE];
        }
        return ['ok' => true, 'uuid' => $payment['uuid_payment'], 'id' => $payment['id_payment']];
    }
}
